-- Creates the application role and database. Values come from the environment
-- (never from this file); \gexec runs each statement only when it is missing.
\getenv app_user HAILMARY_APP_USER
\getenv app_database HAILMARY_APP_DATABASE
\getenv app_password HAILMARY_APP_PASSWORD

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_user', :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec

SELECT format('ALTER ROLE %I PASSWORD %L', :'app_user', :'app_password') \gexec

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L', :'app_database', :'app_user', 'UTF8')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_database') \gexec

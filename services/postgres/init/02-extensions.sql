-- Extensions the application database uses (pgcrypto for gen_random_uuid on older servers).
\getenv app_database HAILMARY_APP_DATABASE
\connect :"app_database"
CREATE EXTENSION IF NOT EXISTS pgcrypto;

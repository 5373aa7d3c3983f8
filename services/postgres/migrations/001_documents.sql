-- Documents read by the ingestor. PostgreSQL is the source of truth; OpenSearch
-- (alias "documents") holds a search copy of every row, under the same id.
--
-- One row per (source_path, record_key): a whole file has record_key '', a record of
-- an NDJSON or CSV file has 'id:<its id>' or 'line:<n>'. content_hash (sha256 of title,
-- body and metadata) tells an unchanged re-ingest (skipped) from a change (updated).
-- indexed_hash is the content version the search copy holds: a row whose indexed_hash
-- differs from content_hash is waiting to be indexed (OpenSearch was down, the worker
-- died between commit and index); the ingestor and `ingestor:reconcile` index those.
-- revision grows on every change and is the external version of the search copy, so
-- an older copy can never overwrite a newer one.

CREATE SEQUENCE documents_revision_seq;

CREATE TABLE documents (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_path  text        NOT NULL,
  record_key   text        NOT NULL DEFAULT '',
  format       text        NOT NULL,
  content_hash text        NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  title        text        NOT NULL,
  body         text        NOT NULL,
  metadata     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  revision     bigint      NOT NULL DEFAULT nextval('documents_revision_seq'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  indexed_hash text,
  indexed_at   timestamptz,
  index_error  text,
  CONSTRAINT documents_source_record UNIQUE (source_path, record_key)
);

ALTER SEQUENCE documents_revision_seq OWNED BY documents.revision;

CREATE INDEX documents_content_hash ON documents (content_hash);
CREATE INDEX documents_updated_at ON documents (updated_at);
-- rows waiting for OpenSearch: small, so finding them stays cheap at any table size
CREATE INDEX documents_unindexed ON documents (id)
  WHERE indexed_hash IS DISTINCT FROM content_hash;

-- One receipt per processed queue message, written in the same transaction as its
-- documents: a message delivered again (the worker died before acknowledging it) is
-- recognised and acknowledged with the counts of its first run, so nothing is counted
-- or written twice.
CREATE TABLE ingest_receipts (
  token       text        PRIMARY KEY,
  job_id      text        NOT NULL,
  source_path text        NOT NULL,
  documents   integer     NOT NULL,
  skipped     integer     NOT NULL,
  failed      integer     NOT NULL,
  problems    jsonb       NOT NULL DEFAULT '[]'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ingest_receipts_created_at ON ingest_receipts (created_at);

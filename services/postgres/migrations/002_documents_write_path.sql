-- Keeps the write path of the ingestor lean: every index on documents is paid for by every
-- upsert. Nothing looks documents up by content hash (it is compared per row, found through the
-- (source_path, record_key) key) or scans them by update time, so those two indexes go.
DROP INDEX IF EXISTS documents_content_hash;
DROP INDEX IF EXISTS documents_updated_at;

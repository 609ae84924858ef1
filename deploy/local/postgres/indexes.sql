-- Make FerretDB 1.24's pushed-down filters use indexes (applied by the local stack
-- to the database FerretDB stores everything in; idempotent).
--
-- FerretDB's PostgreSQL backend turns every equality filter into
-- `_jsonb -> 'field' @> '"value"'` and turns each MongoDB index into a btree over
-- `(_jsonb -> 'field')`. A btree cannot answer `@>`, so without this every look-up,
-- by `_id` too, reads the whole table: measured here, 2 ms at 1,000 documents and
-- 14 ms at 20,000. This trigger gives every such btree a GIN twin (jsonb_path_ops)
-- over the same expressions, which does answer `@>`; with `plan_cache_mode =
-- force_custom_plan` (set at start) the planner sees the field name FerretDB binds
-- as a parameter and picks the twin. `fastupdate = off`: GIN's pending list of
-- recent inserts is read by every look-up until a vacuum merges it, which made
-- look-ups grow with what was written lately (2.5 ms at 1,000 documents, 8.5 ms
-- just after writing 100,000); without it they stay at 2.1-2.5 ms.
CREATE OR REPLACE FUNCTION onewindow_gin_twins() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  cmd record;
  def text;
  tbl text;
  field text;
BEGIN
  FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' LOOP
    SELECT pg_get_indexdef(cmd.objid), i.indrelid::regclass::text INTO def, tbl
      FROM pg_index i WHERE i.indexrelid = cmd.objid;
    CONTINUE WHEN def IS NULL OR def NOT LIKE '%USING btree%';
    FOR field IN SELECT (regexp_matches(def, '_jsonb -> ''([^'']+)''::text', 'g'))[1] LOOP
      EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L) jsonb_path_ops)'
        ' WITH (fastupdate = off)',
        left(md5(tbl || '.' || field), 24) || '_gin', tbl, field);
    END LOOP;
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS onewindow_gin_twins;
CREATE EVENT TRIGGER onewindow_gin_twins ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION onewindow_gin_twins();

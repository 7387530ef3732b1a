-- Schema version 1 exactly as migration step 1 of service/store/vmgr-store.c
-- created it. A copy, not shared: a shipped step never changes, and this copy
-- must not follow the code if someone edits that step by mistake. Used by
-- test-store's /store/migrate/from-v1.
CREATE TABLE vms (
  id INTEGER PRIMARY KEY,
  name TEXT UNIQUE NOT NULL,
  uuid TEXT UNIQUE NOT NULL,
  owner INTEGER NOT NULL,
  template TEXT NOT NULL DEFAULT '',
  plan TEXT NOT NULL DEFAULT '',
  memory_guarantee INTEGER NOT NULL DEFAULT 0,
  memory_soft_limit INTEGER NOT NULL DEFAULT 0,
  memory_limit INTEGER NOT NULL DEFAULT 0,
  vcpus INTEGER NOT NULL DEFAULT 1,
  cpu_weight INTEGER NOT NULL DEFAULT 100,
  cpu_limit INTEGER NOT NULL DEFAULT 0,
  disk_soft_limit INTEGER NOT NULL DEFAULT 0,
  disk_hard_limit INTEGER NOT NULL DEFAULT 0,
  hostname TEXT NOT NULL DEFAULT '',
  addresses TEXT NOT NULL DEFAULT '',
  gateway TEXT NOT NULL DEFAULT '',
  nameservers TEXT NOT NULL DEFAULT '',
  autostart INTEGER NOT NULL DEFAULT 0,
  domain_xml TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX vms_template ON vms (template);
CREATE INDEX vms_plan ON vms (plan);
CREATE TABLE templates (
  name TEXT PRIMARY KEY,
  os TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT ''
);
CREATE TABLE plans (
  name TEXT PRIMARY KEY,
  memory_guarantee INTEGER NOT NULL DEFAULT 0,
  memory_soft_limit INTEGER NOT NULL DEFAULT 0,
  memory_limit INTEGER NOT NULL DEFAULT 0,
  vcpus INTEGER NOT NULL DEFAULT 0,
  cpu_weight INTEGER NOT NULL DEFAULT 0,
  cpu_limit INTEGER NOT NULL DEFAULT 0,
  disk_soft_limit INTEGER NOT NULL DEFAULT 0,
  disk_hard_limit INTEGER NOT NULL DEFAULT 0,
  max_vms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  caller TEXT,
  pid INTEGER,
  action TEXT,
  target TEXT,
  result TEXT,
  message TEXT
);
CREATE INDEX audit_time ON audit (time);
CREATE INDEX audit_uid ON audit (uid);

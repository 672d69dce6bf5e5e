CREATE TABLE records (
    account TEXT NOT NULL,
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    data    BLOB NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    PRIMARY KEY (account, kind, id)
) WITHOUT ROWID;

CREATE TABLE jobs (
    queue    TEXT NOT NULL,
    id       TEXT NOT NULL,
    due      INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    payload  BLOB NOT NULL,
    owner    TEXT NOT NULL DEFAULT '',
    lease    INTEGER NOT NULL DEFAULT 0,
    created  INTEGER NOT NULL,
    PRIMARY KEY (queue, id)
);
CREATE INDEX jobs_due ON jobs (queue, due);

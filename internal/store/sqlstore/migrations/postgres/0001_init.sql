CREATE TABLE records (
    account TEXT NOT NULL,
    kind    TEXT NOT NULL,
    id      TEXT COLLATE "C" NOT NULL,
    data    BYTEA NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    PRIMARY KEY (account, kind, id)
);

CREATE TABLE jobs (
    queue    TEXT NOT NULL,
    id       TEXT COLLATE "C" NOT NULL,
    due      BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    payload  BYTEA NOT NULL,
    owner    TEXT NOT NULL DEFAULT '',
    lease    BIGINT NOT NULL DEFAULT 0,
    created  BIGINT NOT NULL,
    PRIMARY KEY (queue, id)
);
CREATE INDEX jobs_due ON jobs (queue, due);

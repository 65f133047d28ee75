-- The family hub's tables at schema version 1 (sync/hub/models.py of commit d279a4e),
-- for postgresql: what an older hub left behind, for the in-place upgrade test.

CREATE TABLE families (
	id BIGSERIAL NOT NULL,
	name VARCHAR(100) NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE hub_meta (
	key VARCHAR(64) NOT NULL,
	value VARCHAR(200) NOT NULL,
	PRIMARY KEY (key)
);

CREATE TABLE rate_limits (
	key VARCHAR(200) NOT NULL,
	window_start TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	count INTEGER NOT NULL,
	PRIMARY KEY (key)
);

CREATE TABLE devices (
	id BIGSERIAL NOT NULL,
	family_id BIGINT NOT NULL,
	name VARCHAR(100) NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	last_seen_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(family_id) REFERENCES families (id)
);
CREATE INDEX ix_devices_family_id ON devices (family_id);

CREATE TABLE parents (
	id BIGSERIAL NOT NULL,
	family_id BIGINT NOT NULL,
	email VARCHAR(254) NOT NULL,
	name VARCHAR(100) NOT NULL,
	password_hash VARCHAR(200) NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(family_id) REFERENCES families (id),
	UNIQUE (email)
);
CREATE INDEX ix_parents_family_id ON parents (family_id);

CREATE TABLE child_requests (
	id BIGSERIAL NOT NULL,
	family_id BIGINT NOT NULL,
	device_id BIGINT NOT NULL,
	client_request_id VARCHAR(64) NOT NULL,
	child VARCHAR(64) NOT NULL,
	child_key VARCHAR(64) NOT NULL,
	target VARCHAR(64) NOT NULL,
	minutes INTEGER NOT NULL,
	requested_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	status VARCHAR(16) NOT NULL,
	answered_at TIMESTAMP WITHOUT TIME ZONE,
	answered_minutes INTEGER,
	PRIMARY KEY (id),
	CONSTRAINT uq_child_requests_client UNIQUE (device_id, client_request_id),
	FOREIGN KEY(family_id) REFERENCES families (id),
	FOREIGN KEY(device_id) REFERENCES devices (id)
);
CREATE INDEX ix_child_requests_family_id ON child_requests (family_id);

CREATE TABLE commands (
	id BIGSERIAL NOT NULL,
	family_id BIGINT NOT NULL,
	device_id BIGINT,
	kind VARCHAR(20) NOT NULL,
	payload JSON NOT NULL,
	created_by BIGINT NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(family_id) REFERENCES families (id),
	FOREIGN KEY(device_id) REFERENCES devices (id),
	FOREIGN KEY(created_by) REFERENCES parents (id)
);
CREATE INDEX ix_commands_device_id ON commands (device_id);
CREATE INDEX ix_commands_family_id ON commands (family_id);

CREATE TABLE consents (
	id VARCHAR(36) NOT NULL,
	family_id BIGINT NOT NULL,
	device_id BIGINT NOT NULL,
	child VARCHAR(64) NOT NULL,
	child_key VARCHAR(64) NOT NULL,
	child_birth_year INTEGER,
	parent_name VARCHAR(100) NOT NULL,
	parent_consented_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	child_consented BOOLEAN NOT NULL,
	child_consented_at TIMESTAMP WITHOUT TIME ZONE,
	shares JSON NOT NULL,
	recorded_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	withdrawn_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(family_id) REFERENCES families (id),
	FOREIGN KEY(device_id) REFERENCES devices (id)
);
CREATE INDEX ix_consents_device_id ON consents (device_id);
CREATE INDEX ix_consents_family_id ON consents (family_id);

CREATE TABLE day_summaries (
	id BIGSERIAL NOT NULL,
	family_id BIGINT NOT NULL,
	device_id BIGINT NOT NULL,
	child VARCHAR(64) NOT NULL,
	child_key VARCHAR(64) NOT NULL,
	day DATE NOT NULL,
	revision BIGINT NOT NULL,
	consent_id VARCHAR(36) NOT NULL,
	total_seconds INTEGER NOT NULL,
	apps JSON NOT NULL,
	categories JSON NOT NULL,
	warnings INTEGER NOT NULL,
	closes INTEGER NOT NULL,
	grants INTEGER NOT NULL,
	requests INTEGER NOT NULL,
	gaps INTEGER DEFAULT '0' NOT NULL,
	gap_seconds INTEGER DEFAULT '0' NOT NULL,
	tamper INTEGER DEFAULT '0' NOT NULL,
	updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_day_summaries_device_child_day UNIQUE (device_id, child_key, day),
	FOREIGN KEY(family_id) REFERENCES families (id),
	FOREIGN KEY(device_id) REFERENCES devices (id)
);
CREATE INDEX ix_day_summaries_family_child_day ON day_summaries (family_id, child_key, day);

CREATE TABLE device_tokens (
	token_sha256 VARCHAR(64) NOT NULL,
	device_id BIGINT NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	revoked_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (token_sha256),
	FOREIGN KEY(device_id) REFERENCES devices (id)
);
CREATE INDEX ix_device_tokens_device_id ON device_tokens (device_id);

CREATE TABLE pairing_codes (
	code_sha256 VARCHAR(64) NOT NULL,
	family_id BIGINT NOT NULL,
	created_by BIGINT NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	used_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (code_sha256),
	FOREIGN KEY(family_id) REFERENCES families (id),
	FOREIGN KEY(created_by) REFERENCES parents (id)
);
CREATE INDEX ix_pairing_codes_family_id ON pairing_codes (family_id);

CREATE TABLE parent_sessions (
	token_sha256 VARCHAR(64) NOT NULL,
	parent_id BIGINT NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (token_sha256),
	FOREIGN KEY(parent_id) REFERENCES parents (id)
);
CREATE INDEX ix_parent_sessions_expires_at ON parent_sessions (expires_at);
CREATE INDEX ix_parent_sessions_parent_id ON parent_sessions (parent_id);

CREATE TABLE command_acks (
	command_id BIGINT NOT NULL,
	device_id BIGINT NOT NULL,
	status VARCHAR(16) NOT NULL,
	acked_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (command_id, device_id),
	FOREIGN KEY(command_id) REFERENCES commands (id),
	FOREIGN KEY(device_id) REFERENCES devices (id)
);
CREATE INDEX ix_command_acks_device_id ON command_acks (device_id);

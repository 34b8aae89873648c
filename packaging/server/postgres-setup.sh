#!/usr/bin/env bash
# The server's PostgreSQL role and database, on the PostgreSQL host (Debian 12: postgresql-15),
# as root: `postgres-setup.sh [ROLE [DATABASE]]` (isoloir-server, isoloir). Idempotent: what
# exists already is kept. The role owns its database and nothing else; other roles may not even
# connect to it. The tables are the server's migrations (`isoloir server migrate`, run next as
# the role itself, or at the server's first start).
#
# The role has no password: on this host the server connects through the Unix socket with peer
# authentication (OS user isoloir-server = role isoloir-server). App nodes on other hosts need a
# password (`ALTER ROLE ... PASSWORD`, asked by psql's \password) and a hostssl line in
# pg_hba.conf: docs/deployment.md, "Several app nodes".
set -euo pipefail

role=${1:-isoloir-server}
database=${2:-isoloir}

if [ "$(id -u)" != 0 ]; then
    echo "postgres-setup.sh: run as root (it runs psql as the postgres user)" >&2
    exit 2
fi

runuser -u postgres -- psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 \
    -v role="$role" -v database="$database" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L LC_COLLATE %L LC_CTYPE %L TEMPLATE template0',
              :'database', :'role', 'UTF8', 'C.UTF-8', 'C.UTF-8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'database', :'role') \gexec
SQL
# The public schema: its owner is the role, and no one else may create anything in it.
runuser -u postgres -- psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 -d "$database" \
    -v role="$role" <<'SQL'
SELECT format('ALTER SCHEMA public OWNER TO %I', :'role') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
echo "PostgreSQL role $role and database $database are ready."
echo "Next, as $role: /opt/isoloir/isoloir server migrate"
echo "  (ISOLOIR_SERVER_DB=postgresql://$role@/$database?host=/run/postgresql)"

"""The graph's servers as the harness reaches them: the api over HTTP, Redis through redis-cli,
PostgreSQL through psql, each from the connection strings in the AppHost's endpoints.json."""

import json
import os
import subprocess
import urllib.error
import urllib.request


class Api:
    def __init__(self, url, admin_api_key=None):
        self.url = url.rstrip("/")
        self.admin_api_key = admin_api_key

    def post(self, path, payload, headers=None):
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def init_stock(self, product_id, quantity):
        headers = {"x-api-key": self.admin_api_key} if self.admin_api_key else {}
        status, body = self.post("/init", {"productId": product_id, "quantity": quantity}, headers)
        if status != 200:
            raise RuntimeError(f"POST /init {product_id}={quantity} answered {status}: {body}")


class Redis:
    """redis-cli against a StackExchange.Redis connection string ("host:port,password=…")."""

    def __init__(self, connection_string):
        parts = connection_string.split(",")
        host, _, port = parts[0].rpartition(":")
        self.host = host or "127.0.0.1"
        self.port = port or "6379"
        self.password = next((p.split("=", 1)[1] for p in parts[1:] if p.lower().startswith("password=")), None)

    def cli_args(self):
        args = ["-h", self.host, "-p", self.port]
        if self.password:
            args += ["--no-auth-warning", "-a", self.password]
        return args

    def call(self, *command):
        result = subprocess.run(["redis-cli", *self.cli_args(), *map(str, command)],
                                capture_output=True, text=True, timeout=300, check=True)
        output = result.stdout.strip()
        if output.startswith("(error)") or output.startswith("ERR"):
            raise RuntimeError(f"redis-cli {command[0]}: {output}")
        return output

    def stats(self):
        """Counters from INFO stats: how many commands Redis ran and in how many socket reads (batching)."""
        fields = dict(line.split(":", 1) for line in self.call("INFO", "stats").splitlines() if ":" in line)
        return {name: int(fields[name]) for name in ("total_commands_processed", "total_reads_processed", "total_writes_processed") if name in fields}

    def get_int(self, key):
        value = self.call("GET", key)
        return int(value) if value else None

    def idempotency_states(self, product_id):
        """(accepted, pending) keys of one product: 'a:<orderId>' answered 200, 'p:<orderId>' still in flight."""
        script = """
local cursor, accepted, pending = '0', 0, 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 20000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local state = string.sub(redis.call('GET', key) or '', 1, 1)
    if state == 'a' then accepted = accepted + 1 elseif state == 'p' then pending = pending + 1 end
  end
until cursor == '0'
return {accepted, pending}
"""
        lines = self.call("EVAL", script, 0, f"fg:{{{product_id}}}:idem:*").split()
        return int(lines[0]), int(lines[1])


class Postgres:
    """psql against an Npgsql connection string ("Host=…;Port=…;Database=…;Username=…;Password=…")."""

    NPGSQL_TO_LIBPQ = {
        "host": "PGHOST", "server": "PGHOST", "port": "PGPORT", "database": "PGDATABASE",
        "username": "PGUSER", "user id": "PGUSER", "userid": "PGUSER", "user": "PGUSER", "password": "PGPASSWORD",
    }

    def __init__(self, connection_string):
        self.env = dict(os.environ)
        for pair in connection_string.split(";"):
            key, _, value = pair.partition("=")
            variable = self.NPGSQL_TO_LIBPQ.get(key.strip().lower())
            if variable:
                self.env[variable] = value.strip()

    def scalar(self, sql):
        result = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                                env=self.env, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"psql: {result.stderr.strip()}")
        return result.stdout.strip()

    def order_rows(self, product_id):
        """Orders of one product in PostgreSQL; None while there is no orders table (the persister creates it)."""
        try:
            return int(self.scalar(f"SELECT count(*) FROM orders WHERE product_id = '{product_id}'"))
        except RuntimeError as error:
            if "does not exist" in str(error):
                return None
            raise

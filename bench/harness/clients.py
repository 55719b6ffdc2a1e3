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

    def admin_headers(self):
        return {"x-api-key": self.admin_api_key} if self.admin_api_key else {}

    def init_stock(self, product_id, quantity, stock_buckets=1):
        """POST /init; `stockBuckets` is sent only when above 1, so a build without the field still takes K = 1."""
        payload = {"productId": product_id, "quantity": quantity}
        if stock_buckets > 1:
            payload["stockBuckets"] = stock_buckets
        status, body = self.post("/init", payload, self.admin_headers())
        if status != 200:
            raise RuntimeError(f"POST /init {json.dumps(payload)} answered {status}: {body}")

    def invariants(self, product_id):
        """GET /admin/invariants/{productId}: the api's books of the product (works on a cluster: the api reads each
        key where it lives). Returns (status, parsed body or text)."""
        request = urllib.request.Request(f"{self.url}/admin/invariants/{product_id}", headers=self.admin_headers())
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read().decode())
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, text


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
        # The append-only file's size: what Redis writes to disk (and to replicas) per order, when it keeps one.
        fields.update(line.split(":", 1) for line in self.call("INFO", "persistence").splitlines() if line.startswith("aof_current_size:"))
        return {name: int(fields[name]) for name in ("total_commands_processed", "total_reads_processed", "total_writes_processed", "aof_current_size")
                if name in fields}

    def commandstats(self):
        """INFO commandstats: {command: {"calls": n, "usec": n}}."""
        out = {}
        for name, value in _info_fields(self.call("INFO", "commandstats")).items():
            if name.startswith("cmdstat_"):
                fields = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
                out[name[len("cmdstat_"):]] = {"calls": int(fields.get("calls", 0)), "usec": int(fields.get("usec", 0))}
        return out

    def hgetall(self, key):
        lines = self.call("HGETALL", key).splitlines()
        return dict(zip(lines[0::2], lines[1::2]))

    def get_int(self, key):
        value = self.call("GET", key)
        return int(value) if value else None

    def idempotency_states(self, product_id):
        """(accepted, pending) keys of one product: a key holds 'p:<orderId>' from the reservation on; the api's record
        of that order (records_key) says 'R…' while Kafka has not answered (pending), else the order is accepted."""
        script = """
local cursor, accepted, pending = '0', 0, 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 20000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local held = redis.call('GET', key) or ''
    local record = string.sub(held, 1, 2) == 'p:' and redis.call('HGET', KEYS[1], string.sub(held, 3))
    if record and string.sub(record, 1, 1) == 'R' then pending = pending + 1 elseif held ~= '' then accepted = accepted + 1 end
  end
until cursor == '0'
return {accepted, pending}
"""
        lines = self.call("EVAL", script, 1, records_key(product_id), f"fg:{{{product_id}}}:idem:*").split()
        return int(lines[0]), int(lines[1])


def records_key(bucket):
    """The api's records hash of the bucket's slot (OrderRecords.Key: the first '#<n>' tag that hashes there)."""
    slot, number = key_slot(bucket), 0
    while key_slot(f"#{number}") != slot:
        number += 1
    return f"fg:{{#{number}}}:orders"


def key_slot(tag):
    """Redis Cluster's hash slot of a hash tag: CRC16 (XMODEM) mod 16384."""
    crc = 0
    for byte in tag.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc % 16384


def _info_fields(text):
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


class RedisCluster:
    """The masters of a Redis Cluster, each reached with its own redis-cli (no redirection): the connection string
    lists them ("127.0.0.1:7000,127.0.0.1:7001,…", what the AppHost gives for FluxGate:RedisTopology=Cluster)."""

    def __init__(self, connection_string):
        parts = connection_string.split(",")
        options = ",".join(p for p in parts if "=" in p)
        nodes = [Redis(p + ("," + options if options else "")) for p in parts if "=" not in p]
        # With replicas (FluxGate:RedisReplicas) the string lists them too; a replica answers MOVED to key commands.
        self.nodes = [n for n in nodes if n.call("ROLE").splitlines()[:1] == ["master"]]

    def node(self, port):
        return next(n for n in self.nodes if int(n.port) == int(port))

    def slot_owners(self):
        """[(first slot, last slot, port)] of the masters, from CLUSTER NODES as the first node sees it
        (`id ip:port@bus[,host] flags master … connected 0-5460 …`)."""
        ranges = []
        for line in self.nodes[0].call("CLUSTER", "NODES").splitlines():
            fields = line.split()
            if len(fields) < 9 or "master" not in fields[2].split(","):
                continue
            port = int(fields[1].split("@")[0].rpartition(":")[2])
            for part in fields[8:]:
                if part.startswith("["):
                    continue  # a slot being migrated or imported
                first, _, last = part.partition("-")
                ranges.append((int(first), int(last or first), port))
        return sorted(ranges)

    def owner_of(self, slot, owners=None):
        return next((port for first, last, port in (owners or self.slot_owners()) if first <= slot <= last), None)

    def stats(self):
        """Per master port: INFO stats counters (as Redis.stats) and INFO commandstats (calls, usec per command)."""
        return {int(n.port): {**n.stats(), "commandstats": n.commandstats()} for n in self.nodes}

    def scan_keys(self, pattern):
        """Keys matching a pattern on every master (SCAN in one script per node): {port: [keys]}."""
        script = """
local cursor, found = '0', {}
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 20000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do found[#found + 1] = key end
until cursor == '0'
return found
"""
        return {int(n.port): [k for k in n.call("EVAL", script, 0, pattern).splitlines() if k] for n in self.nodes}


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

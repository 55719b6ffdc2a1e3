"""The benchmark's scenarios and the AppHost graphs they run on.

The api's rate limit is one setting per process (RateLimit:PermitsPerSecond), not per product, so the
scenarios that measure throughput and the one that measures the limiter cannot share an api: the harness
starts the graph twice, once with the limit raised out of the way and once with the demo limit of 50/s.
The hot-product scenarios need Redis as a cluster (FluxGate:RedisTopology=Cluster): a third graph, started only
when one of them is asked for.
"""

from dataclasses import dataclass, field

PLENTY = 2_000_000_000  # more stock than any run can sell (the api's quantity is an int32)


@dataclass(frozen=True)
class Graph:
    name: str
    description: str
    api_settings: dict = field(default_factory=dict)
    # AppHost switches of the graph itself (--Key=Value), e.g. the Redis topology.
    apphost_switches: dict = field(default_factory=dict)

    @property
    def redis_cluster(self):
        return self.apphost_switches.get("FluxGate:RedisTopology", "").lower() == "cluster"


THROUGHPUT_SETTINGS = {
    "RateLimit:PermitsPerSecond": "100000000",
    "RateLimit:Burst": "100000000",
    "Idempotency:Ttl": "00:10:00",
}


GRAPHS = {
    "throughput": Graph(
        "throughput",
        "rate limit raised out of the way (100,000,000/s, burst 100,000,000); idempotency keys kept 10 min so the "
        "invariant check after a run still finds every key",
        THROUGHPUT_SETTINGS,
    ),
    "demo-rate": Graph(
        "demo-rate",
        "the spec's demo rate limit: 50 orders/s per product, burst one second's worth (the Development default)",
        {
            "RateLimit:PermitsPerSecond": "50",
            "Idempotency:Ttl": "00:10:00",
        },
    ),
    "cluster": Graph(
        "cluster",
        "the throughput graph's settings on Redis as the AppHost's local Redis Cluster of three masters "
        "(FluxGate:RedisTopology=Cluster): one redis-server per master, each measured on its own",
        THROUGHPUT_SETTINGS,
        {"FluxGate:RedisTopology": "Cluster"},
    ),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    graph: str
    stock: int
    mode: str  # "unique": a new key and user per request; "duplicate": one key for all
    description: str
    # What the invariant check expects on top of accepted = orders rows = stock taken.
    expect_accepted: int | None = None
    # Orders are accepted at a steady rate the whole run, so rows / (load + drain) is the persister's rate.
    sustained_accepts: bool = False
    # POST /init's stockBuckets (sent only when above 1): the product's stock split over that many hash slots.
    stock_buckets: int = 1


SCENARIOS = {
    s.name: s
    for s in [
        Scenario("accept-heavy", "throughput", PLENTY, "unique",
                 "stock far above what the run can sell: every request is a new order that is accepted",
                 sustained_accepts=True),
        Scenario("sold-out", "throughput", 0, "unique",
                 "stock 0: every request is answered 409 sold_out", expect_accepted=0),
        Scenario("duplicate", "throughput", PLENTY, "duplicate",
                 "one idempotency key for every request: one order, the rest 200 ignored", expect_accepted=1),
        Scenario("rate-limited", "demo-rate", PLENTY, "unique",
                 "demo limit 50/s: most requests are sent to the waiting room (302)"),
        Scenario("flash-sale", "throughput", 10_000, "unique",
                 "stock 10,000, a new user per request: accepted until sold out, then 409", expect_accepted=10_000),
        # One hot product on the three-master cluster: its stock in one bucket (one shard decides every order) or split
        # over three (bucket b on the b-th third of the slot space, so each master decides about a third).
        Scenario("hot-product-k1", "cluster", PLENTY, "unique",
                 "Redis Cluster, one product, stock in 1 bucket (one shard decides every order); every request accepted",
                 sustained_accepts=True, stock_buckets=1),
        Scenario("hot-product-k3", "cluster", PLENTY, "unique",
                 "Redis Cluster, one product, stock split over 3 buckets on 3 masters; every request accepted",
                 sustained_accepts=True, stock_buckets=3),
    ]
}

DEFAULT_ORDER = ["accept-heavy", "sold-out", "duplicate", "flash-sale", "rate-limited"]
# Run only when named (they need the cluster graph, a third AppHost start): bench/run.sh hot-product-k1 hot-product-k3
OPT_IN = ["hot-product-k1", "hot-product-k3"]

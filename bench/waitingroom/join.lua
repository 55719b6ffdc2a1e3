-- wrk: anonymous joins, to build a line for the poll benchmark.
wrk.method = "POST"

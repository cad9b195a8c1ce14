"""For the `parquet-writers` row (bench/parquet-writers.ts): DuckDB (the Python wheel; the npm
package runs the same engine) reading a data.binance.vision kline CSV with DECIMAL(38,8)
columns, and writing it to one Parquet file (snappy) unless `--read-only` (then every decimal
column is parsed and nothing written). Prints one JSON line
with the CPU seconds of the query (process time, all threads).

    python3 bench/duckdb_export.py [--threads N] [--read-only] --out FILE FILE.csv
"""
import argparse
import json
import time

import duckdb

D = "DECIMAL(38,8)"
COLUMNS = {
    "open_time": "BIGINT", "open": D, "high": D, "low": D, "close": D, "volume": D, "close_time": "BIGINT",
    "quote_volume": D, "count": "BIGINT", "taker_buy_volume": D, "taker_buy_quote_volume": D, "ignore": "VARCHAR",
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--read-only", action="store_true")
    p.add_argument("--out", required=True)
    p.add_argument("file")
    a = p.parse_args()
    con = duckdb.connect()
    con.execute(f"SET threads={a.threads}")
    spec = ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items())
    src = f"read_csv('{a.file}', header=false, columns={{{spec}}})"
    started = time.process_time()
    if a.read_only:
        # Every decimal column parsed (a bare count(*) would parse none), nothing aggregated.
        parsed = " AND ".join(f"{k} IS NOT NULL" for k, v in COLUMNS.items() if v == D)
        con.execute(f"SELECT count(*) FROM {src} WHERE {parsed}").fetchall()
    else:
        con.execute(f"COPY (SELECT * EXCLUDE (ignore) FROM {src}) TO '{a.out}' (FORMAT parquet, COMPRESSION snappy)")
    print(json.dumps({"version": duckdb.__version__, "cpuSeconds": time.process_time() - started}))


if __name__ == "__main__":
    main()

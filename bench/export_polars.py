"""What a user would write in Polars instead of the CLI's `export`, for the `export-vs-polars` row.

Reads a data.binance.vision kline CSV (µs or ms timestamps, no header) with Decimal(38,8)
columns and writes it either as one Parquet file (timestamps as UTC datetimes, exact decimals,
snappy) or as one CSV with ms timestamps (Binance's layout).

    python3 bench/export_polars.py --format parquet|csv --out FILE FILE.csv
"""
import argparse

import polars as pl

from binance_csv_polars import scan


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--format", choices=["parquet", "csv"], required=True)
    p.add_argument("--out", required=True)
    p.add_argument("file")
    a = p.parse_args()
    lf = scan(a.file)
    ms = [pl.when(pl.col(c) >= 10**15).then(pl.col(c) // 1000).otherwise(pl.col(c)).alias(c) for c in ("open_time", "close_time")]
    lf = lf.with_columns(ms)
    if a.format == "csv":
        lf.sink_csv(a.out, include_header=False)
    else:
        ts = [pl.from_epoch(pl.col(c), time_unit="ms").dt.replace_time_zone("UTC").alias(c) for c in ("open_time", "close_time")]
        lf.with_columns(ts).drop("ignore").sink_parquet(a.out, compression="snappy")


if __name__ == "__main__":
    main()

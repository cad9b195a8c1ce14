"""What a user would write in Polars instead of the CLI's `export`, for the `export-vs-polars` row.

Reads a data.binance.vision kline CSV (µs or ms timestamps, no header) with Decimal(38,8)
columns and writes it either as one Parquet file (timestamps as UTC datetimes, exact decimals,
snappy) or as one CSV with ms timestamps (Binance's layout).

With `--daily` (Parquet only), the layout the CLI writes instead of one file: one file per UTC
day under hive folders `market_type=spot/interval=1m/date=YYYY-MM-DD/` below FOLDER, written by
Polars' partitioned sink (the date is in the path, not in the files, as in the CLI's).

    python3 bench/export_polars.py --format parquet|csv --out FILE FILE.csv
    python3 bench/export_polars.py --format parquet --daily --out FOLDER FILE.csv
"""
import argparse

import polars as pl

from binance_csv_polars import scan


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--format", choices=["parquet", "csv"], required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--daily", action="store_true", help="Parquet: one file per UTC day, hive-partitioned below --out")
    p.add_argument("file")
    a = p.parse_args()
    if a.daily and a.format != "parquet":
        p.error("--daily is for --format parquet")
    lf = scan(a.file)
    ms = [pl.when(pl.col(c) >= 10**15).then(pl.col(c) // 1000).otherwise(pl.col(c)).alias(c) for c in ("open_time", "close_time")]
    lf = lf.with_columns(ms)
    if a.format == "csv":
        lf.sink_csv(a.out, include_header=False)
    else:
        ts = [pl.from_epoch(pl.col(c), time_unit="ms").dt.replace_time_zone("UTC").alias(c) for c in ("open_time", "close_time")]
        lf = lf.with_columns(ts).drop("ignore")
        if a.daily:
            days = pl.PartitionBy(f"{a.out}/market_type=spot/interval=1m", key=pl.col("open_time").dt.date().dt.to_string("%Y-%m-%d").alias("date"), include_key=False)
            lf.sink_parquet(days, compression="snappy", mkdir=True)
        else:
            lf.sink_parquet(a.out, compression="snappy")


if __name__ == "__main__":
    main()

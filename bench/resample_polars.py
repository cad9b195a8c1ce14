"""The CLI's `resample` written in Polars, for the `resample-vs-polars` bench row.

Reads a data.binance.vision kline CSV (ms or µs timestamps, no header) with Decimal(38,8)
columns, applies the same trade-aware rule as core/resample.ts (a kline without trades never
sets a window's open, high or low; a window without trades is o=h=l=c=its last close), and
writes the same 12-column CSV with ms timestamps to stdout (or --out FILE).

    python3 bench/resample_polars.py --to-ms 300000 FILE.csv [--out FILE]
"""
import argparse
import sys

import polars as pl

from binance_csv_polars import scan


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--to-ms", type=int, required=True)
    p.add_argument("--out")
    p.add_argument("file")
    a = p.parse_args()
    ms = a.to_ms
    lf = scan(a.file)
    t = pl.col("open_time")
    lf = lf.with_columns(pl.when(t >= 10**15).then(t // 1000).otherwise(t).alias("open_time"))
    traded = pl.col("count") > 0
    last_close = pl.col("close").last()
    out = (
        lf.group_by((pl.col("open_time") - pl.col("open_time") % ms).alias("w"), maintain_order=True)
        .agg(
            pl.col("open").filter(traded).first().fill_null(last_close).alias("open"),
            pl.col("high").filter(traded).max().fill_null(last_close).alias("high"),
            pl.col("low").filter(traded).min().fill_null(last_close).alias("low"),
            last_close.alias("close"),
            pl.col("volume").sum(),
            pl.col("quote_volume").sum(),
            pl.col("count").sum(),
            pl.col("taker_buy_volume").sum(),
            pl.col("taker_buy_quote_volume").sum(),
        )
        .select(
            pl.col("w").alias("open_time"), "open", "high", "low", "close", "volume",
            (pl.col("w") + ms - 1).alias("close_time"), "quote_volume", "count",
            "taker_buy_volume", "taker_buy_quote_volume", pl.lit("0").alias("ignore"),
        )
        .sort("open_time")
        .collect()
    )
    out.write_csv(a.out if a.out else sys.stdout.buffer, include_header=False)


if __name__ == "__main__":
    main()

"""The data.binance.vision kline CSV as Polars reads it exactly: Decimal(38,8) columns, no header.
Shared by bench/resample_polars.py and bench/export_polars.py."""
import polars as pl

DEC = pl.Decimal(38, 8)
COLUMNS = {
    "open_time": pl.Int64, "open": DEC, "high": DEC, "low": DEC, "close": DEC, "volume": DEC,
    "close_time": pl.Int64, "quote_volume": DEC, "count": pl.Int64, "taker_buy_volume": DEC,
    "taker_buy_quote_volume": DEC, "ignore": pl.Utf8,
}


def scan(path: str) -> pl.LazyFrame:
    """A kline CSV (ms or µs timestamps) as a lazy frame with exact decimals."""
    return pl.scan_csv(path, has_header=False, new_columns=list(COLUMNS), schema_overrides=COLUMNS)

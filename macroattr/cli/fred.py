"""``macroattr data refresh | status | show``: the local FRED store from the command line.

Exit codes: 0 success; 2 bad input (no API key, bad option, unreadable key file,
series not stored, store locked); 3 FRED could not serve a request (rejected key,
unknown series, FRED down, rate-limited past the retry budget, malformed answer) —
``refresh`` still refreshes the other series, prints its summary table and then
exits 3 with one line naming every failed series and its cause.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from macroattr.cli._app import ArgumentsCommand, data_app
from macroattr.cli._out import result
from macroattr.cli.options import JsonOutput, Quiet
from macroattr.cli.options import Store


@data_app.command("refresh")
def refresh_cmd(
    series: Annotated[
        str | None, typer.Option("--series", help="Comma-separated FRED ids, e.g. DGS2,CPIAUCSL.")
    ] = None,
    all_default: Annotated[
        bool, typer.Option("--all-default", help="Every FRED series the factor catalog uses.")
    ] = False,
    store: Store = None,
    fred_url: Annotated[
        str | None,
        typer.Option("--fred-url", help="FRED root URL (default: MACROATTR_FRED_URL or FRED's own)."),
    ] = None,
    api_key_file: Annotated[
        Path | None, typer.Option("--api-key-file", help="File whose first line is the FRED API key.")
    ] = None,
    vintages: Annotated[
        bool,
        typer.Option(
            "--vintages",
            help="Also fetch vintages (ALFRED) and vintage dates (release days), for --as-of panels and the "
            "real-time CPI surprise; incremental once stored.",
        ),
    ] = False,
    full: Annotated[bool, typer.Option("--full", help="Fetch whole histories, not only what is new.")] = False,
    revision_window: Annotated[
        int, typer.Option("--revision-window", min=0, help="Days before the stored last date to fetch again.")
    ] = 400,
    rate: Annotated[float, typer.Option("--rate", min=0.01, help="Requests per second at most.")] = 2.0,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds to wait for FRED.")] = 30.0,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Retries per request on 429/5xx/network.")] = 4,
    deadline: Annotated[
        float, typer.Option("--deadline", min=0.1, help="Seconds one request may take in total (whole answer).")
    ] = 60.0,
    retry_budget: Annotated[
        float, typer.Option("--retry-budget", min=0, help="Seconds the whole refresh may lose to retries "
                            "and failed attempts; a circuit breaker stops after 3 failed requests in a row.")
    ] = 300.0,
    allow_shrink: Annotated[
        bool, typer.Option("--allow-shrink", help="Accept an answer that drops observations the store holds.")
    ] = False,
) -> None:
    """Fetch FRED series into the local store (only what is new; atomic per series).

    With neither --series nor --all-default, refreshes the catalog's series and
    every series already stored.
    """
    from rich.console import Console
    from rich.table import Table

    from macroattr.cli._out import status
    from macroattr.core.errors import FredError
    from macroattr.core.progress import Progress
    from macroattr.core.terminal import clean
    from macroattr.data_pipelines.fred.client import FredClient, FredConfig
    from macroattr.data_pipelines.fred.refresh import default_series, failure_line, refresh
    from macroattr.data_pipelines.fred.store import SeriesStore
    from macroattr.core.redact import redact

    st = SeriesStore(store)
    if series:
        ids = [s.strip() for s in series.split(",") if s.strip()]
        if not ids:
            from macroattr.core.errors import InputError

            raise InputError("--series is empty; give FRED ids like --series DGS2,CPIAUCSL")
        if all_default:
            ids += default_series()
    elif all_default:
        ids = default_series()
    else:
        ids = default_series() + st.list()
    ids = list(dict.fromkeys(st.normalise_id(i) for i in ids))
    cfg = FredConfig(rate=rate, timeout=timeout, max_attempts=retries + 1, deadline=deadline,
                     retry_budget=retry_budget)
    client = FredClient(api_key_file=api_key_file, base_url=fred_url, config=cfg)
    from macroattr.core.terminal import markup_safe

    steps = ["metadata", "observations", "vintages", "writing"] if vintages else ["metadata", "observations", "writing"]
    # the one progress UI: a bar on a terminal, plain lines in a log (silent under --quiet)
    with Progress(len(ids) * len(steps), "refresh", unit="steps") as progress:
        done: dict[str, int] = dict.fromkeys(ids, 0)
        # retries and the circuit breaker, as they happen (FRED's text cleaned for the terminal)
        client.on_event = lambda line: status(clean(line))

        def on_step(sid: str, what: str) -> None:
            if what in ("done", "failed", "up to date"):
                done[sid] = len(steps)
            else:
                done[sid] = steps.index(what) if what in steps else 0
            progress.update(sum(done.values()), f"{sid} {what}")

        results = refresh(
            st,
            client,
            ids,
            vintages=vintages,
            full=full,
            revision_window_days=revision_window,
            on_step=on_step,
            allow_shrink=allow_shrink,
        )

    table = Table(title=markup_safe(f"FRED refresh into {st.path}"))
    for col in ("series", "status", "new obs", "revised", "last date", "vintages"):
        table.add_column(col)
    for r in results:
        table.add_row(
            r.series_id,
            r.status,
            str(r.new_obs),
            str(r.revised_obs),
            r.last or "-",
            (f"{r.vintages} (+{r.new_vintages})" if r.new_vintages else str(r.vintages)) if r.vintages else "-",
        )
    Console(soft_wrap=True).print(table)
    line = failure_line(results)
    if line:
        raise FredError(redact(line))
    result(f"store: {st.path} ({client.requests_made} requests)")


@data_app.command("status")
def status_cmd(store: Store = None, json_out: JsonOutput = False, quiet: Quiet = False) -> None:
    """List the stored FRED series: span, observations, vintages, when fetched, age.

    With --json, one JSON document (schema `macroattr.data_status/1` in DEVELOPING.md)."""
    from rich.console import Console
    from rich.table import Table

    from macroattr.cli._out import emit_json
    from macroattr.core.terminal import clean, markup_safe
    from macroattr.data_pipelines.fred.store import SeriesStore

    st = SeriesStore(store)
    df = st.status()
    if json_out:
        emit_json({"schema": "macroattr.data_status/1", "store": str(st.path),
                   "series": df.to_dict(orient="records")})
        return
    if df.empty:
        result(f"store {st.path} is empty; run `macroattr data refresh` (needs a FRED API key)")
        return
    table = Table(title=markup_safe(f"FRED store {st.path}"))
    for col in ("series", "title", "freq", "first", "last", "obs", "vintages", "FRED updated", "fetched (UTC)", "age"):
        table.add_column(col)
    for row in df.itertuples(index=False):
        age = "-" if row.age_days != row.age_days else f"{row.age_days:.1f} d"
        cells = [
            str(row.id),
            clean(row.title or "")[:32],
            str(row.frequency or ""),
            str(row.first or "-"),
            str(row.last or "-"),
            str(row.n_obs if row.n_obs == row.n_obs else "-"),
            str(row.vintages if row.vintages == row.vintages else "-"),
            str(row.last_updated or "-"),
            str(row.fetched_at or "-")[:16].replace("T", " "),
            age,
        ]
        table.add_row(*(markup_safe(c) for c in cells))  # store text is data, never markup
    Console(soft_wrap=True).print(table)


@data_app.command("show", cls=ArgumentsCommand)
def show_cmd(
    series_id: Annotated[str, typer.Argument(metavar="SERIES", help="FRED id, e.g. DGS2.", show_default=False)],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Values as published on this date (YYYY-MM-DD; needs vintages).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write date,value to this CSV file.")] = None,
    store: Store = None,
) -> None:
    """Print one stored series as date,value after a '# key: value' metadata header."""
    import sys

    import pandas as pd

    from macroattr.core.dates import parse_date
    from macroattr.data_pipelines.fred.store import SeriesStore
    from macroattr.core.io import atomic_path, check_destination
    from macroattr.core.terminal import clean

    as_of_ts = parse_date(as_of, "--as-of")
    st = SeriesStore(store)
    if out is not None:
        check_destination(out, inputs=[st.file(series_id)] if st.has(series_id) else [])
    values, meta = st.read(series_id, as_of=as_of_ts)
    # store text (FRED titles) is data: no escape sequences or control characters reach the terminal
    header = [f"# {clean(k)}: {clean(v)}" for k, v in meta.items() if v is not None]
    frame = pd.DataFrame({"date": values.index.strftime("%Y-%m-%d"), "value": values.to_numpy()})
    if out is not None:
        with atomic_path(out) as tmp:
            frame.to_csv(tmp, index=False, na_rep="")
        result("\n".join(header))
        result(f"wrote {len(frame)} rows to {out}")
        return
    result("\n".join(header))
    frame.to_csv(sys.stdout, index=False, na_rep="")

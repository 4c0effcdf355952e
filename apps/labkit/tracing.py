"""Distributed tracing with OpenTelemetry, set up the same way in every service.

Needs the `micro` extra (opentelemetry-sdk and the FastAPI/httpx instrumentations).
Incoming requests continue the caller's trace from its W3C `traceparent` header and
every httpx call sends it on, so one user request is one trace across all hops.
Spans are always created (log lines carry the trace id); exporting them is off
unless OTEL_TRACES_EXPORTER says `console` or `otlp` (the OTLP/HTTP exporter reads
the standard OTEL_EXPORTER_OTLP_* variables, e.g. OTEL_EXPORTER_OTLP_ENDPOINT).
"""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from .config import Env

EXPORTERS = ("none", "console", "otlp")
# Probes and scrapes arrive every few seconds and would bury the useful traces.
UNTRACED_PATHS = "/healthz,/readyz,/startupz,/metrics"


def exporter_from_env(env: Env) -> str:
    """Read OTEL_TRACES_EXPORTER at settings time, so a typo fails start-up in one line."""
    return env.choice("OTEL_TRACES_EXPORTER", EXPORTERS, default="none")


def setup_tracing(app: FastAPI, service: str, version: str, exporter: str = "none") -> TracerProvider:
    """Install a tracer provider, instrument `app` and every httpx client in the process.

    Call once per process, before the app serves requests. Shut the returned provider
    down when the app stops, to flush spans still queued for export.
    """
    provider = TracerProvider(resource=Resource.create({"service.name": service, "service.version": version}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter != "none":
        raise ValueError(f"unknown trace exporter {exporter!r}; expected one of {EXPORTERS}")
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=UNTRACED_PATHS)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    return provider

"""Benchmarks: measured by `run_bot.py bench`, outside the product package."""

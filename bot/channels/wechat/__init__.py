"""The WeChat Official Account (公众号) protocol: signatures, AES message crypto, XML in and out.

Pure functions and records with no web framework: an HTTP route calls :mod:`.protocol`.
"""

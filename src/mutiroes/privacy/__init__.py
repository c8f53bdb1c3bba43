"""LGPD: what a user can take (export) and the erasure of an account, across every domain app it touches.

Above the domain apps (it calls their services and reads their models), below the API that exposes it.
"""

"""sdk/core"""

"""sdk/generators"""

"""sdk/models"""

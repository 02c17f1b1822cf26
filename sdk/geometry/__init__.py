"""sdk/geometry"""

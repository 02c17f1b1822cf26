"""sdk/prompt"""

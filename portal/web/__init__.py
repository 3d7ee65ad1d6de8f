"""The HTML faces: one blueprint module per face, each translating HTTP to service calls and back."""

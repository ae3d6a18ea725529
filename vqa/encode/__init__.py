"""Question encoding: tokenizer and encoders (small from-scratch Transformer, or pretrained MiniLM)."""
from .encoder import EncoderConfig, QuestionEncoder, QuestionEncoding, token_strings, tokenize
from .tokenizer import load_tokenizer

__all__ = ["EncoderConfig", "QuestionEncoder", "QuestionEncoding", "tokenize", "token_strings", "load_tokenizer"]

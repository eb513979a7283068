"""ketnoi NLU: Vietnamese normalisation, intent classification and entity extraction (Rasa-compatible)."""

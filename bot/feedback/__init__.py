"""Answer ratings and questions the assistant could not answer, for improving the knowledge base."""

"""What admins run: drafting knowledge from articles, hot reload, and the unanswered log."""

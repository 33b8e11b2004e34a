"""The HTTP plumbing every face shares: middleware, conditional GET, methods, JSON errors."""

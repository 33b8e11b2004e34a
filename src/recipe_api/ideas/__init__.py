"""Recipe ideas: the day's top posts of a few recipe subreddits, fetched concurrently.

``client`` talks to reddit (or the emulator in ``emulator``), ``cache`` keeps
listings per subreddit, ``service`` fans out under one deadline and
``router`` serves the answers.
"""

"""Training metrics: views, impressions, submissions and reviews, per period, team, agent and value."""

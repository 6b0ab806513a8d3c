"""Health checks for a load balancer and an operator: is the process alive, is it ready to serve."""

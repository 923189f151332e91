"""One door for every four-eyes action: a request, then a decision by someone independent."""

"""Fleet health: the failure classifier, its history and trends, run statistics and the
go/no-go gates (docs/fleet.md)."""

module kso/go-cron-oracle

go 1.25

require github.com/netresearch/go-cron v0.15.1

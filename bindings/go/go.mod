module github.com/kvps/kvps/bindings/go

go 1.23

module github.com/chelseru/chelseru/sdk

go 1.24

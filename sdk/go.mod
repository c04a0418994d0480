module github.com/chelseru/chelseru/sdk

go 1.26.8

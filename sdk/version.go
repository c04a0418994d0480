package sdk

// Version is this SDK's version, the semantic version of the module
// github.com/chelseru/chelseru/sdk. The repository tags a release of it
// sdk/vVersion (the sdk module lives in a subfolder, so its tags carry the
// folder as a prefix), and "chelseru plugin new" writes a go.mod that
// requires it. sdk/CHANGELOG.md lists the changes of each version.
const Version = "0.1.0"

package pluginhost

import (
	"io/fs"
)

// fsWithout hides one file of an fs.FS.
type fsWithout struct {
	fs.FS
	name string
}

func (f fsWithout) Open(name string) (fs.File, error) {
	if name == f.name {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f.FS.Open(name)
}

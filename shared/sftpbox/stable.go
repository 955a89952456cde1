package sftpbox

import "time"

// Look is what one listing saw of a file.
type Look struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
}

// Stable returns the files of now that the previous look saw with the same
// size and modification time: the partner has stopped writing them. A file
// missing from previous, or changed since, is not stable yet; the caller
// keeps now as the previous look for next time. An empty file is never
// stable (a partner that creates a file before writing it).
func Stable(previous map[string]Look, now []File) (ready []File) {
	for _, f := range now {
		p, ok := previous[f.Path]
		if !ok || f.Size == 0 {
			continue
		}
		if p.Size == f.Size && p.ModTime.Equal(f.ModTime) {
			ready = append(ready, f)
		}
	}
	return ready
}

// Looks turns a listing into the looks to keep for next time.
func Looks(files []File) map[string]Look {
	out := make(map[string]Look, len(files))
	for _, f := range files {
		out[f.Path] = Look{Size: f.Size, ModTime: f.ModTime}
	}
	return out
}

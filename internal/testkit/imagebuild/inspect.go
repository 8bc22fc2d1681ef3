package imagebuild

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Image is what Inspect reports of an image.
type Image struct {
	// ID is the image ID (the digest of its configuration).
	ID string
	// Size is the configuration plus every layer, uncompressed: what the image takes once
	// pulled. A registry stores it compressed, so smaller.
	Size int64
	// Layers is the number of file system layers.
	Layers int
	// Entrypoint, User, WorkingDir, Env and Labels are the image's run configuration.
	Entrypoint []string
	User       string
	WorkingDir string
	Env        []string
	Labels     map[string]string
}

// Inspect reads an image's configuration and manifest.
func (b *Buildah) Inspect(ctx context.Context, ref string) (Image, error) {
	out, err := b.output(ctx, "inspect", "--type", "image", ref)
	if err != nil {
		return Image{}, err
	}
	return parseInspect([]byte(out))
}

// parseInspect decodes `buildah inspect --type image` output: the OCI configuration is an
// object, the manifest a JSON document in a string.
func parseInspect(data []byte) (Image, error) {
	var raw struct {
		FromImageID string
		Manifest    string
		OCIv1       struct {
			Config struct {
				Entrypoint []string
				User       string
				WorkingDir string
				Env        []string
				Labels     map[string]string
			} `json:"config"`
		}
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Image{}, fmt.Errorf("decode buildah inspect: %w", err)
	}
	var manifest struct {
		Config struct {
			Size int64 `json:"size"`
		} `json:"config"`
		Layers []struct {
			Size int64 `json:"size"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(raw.Manifest), &manifest); err != nil {
		return Image{}, fmt.Errorf("decode image manifest: %w", err)
	}
	c := raw.OCIv1.Config
	img := Image{
		ID:         raw.FromImageID,
		Size:       manifest.Config.Size,
		Layers:     len(manifest.Layers),
		Entrypoint: c.Entrypoint,
		User:       c.User,
		WorkingDir: c.WorkingDir,
		Env:        c.Env,
		Labels:     c.Labels,
	}
	for _, l := range manifest.Layers {
		img.Size += l.Size
	}
	return img, nil
}

// File is one entry of an image's root file system.
type File struct {
	// Mode holds the type bits (directory, symlink, ...) and permissions.
	Mode fs.FileMode
	// Size is the size in bytes of a regular file.
	Size int64
	// Target is where a symlink points, as stored in the link.
	Target string
	// Inode identifies the file within the image: two names with the same Inode are hard
	// links to one file.
	Inode uint64
}

// Files lists an image's root file system by absolute path (the root itself excluded).
func (b *Buildah) Files(ctx context.Context, image string) (map[string]File, error) {
	ctr, err := b.from(ctx, image)
	if err != nil {
		return nil, err
	}
	defer func() { _ = b.rm(ctx, ctr) }()
	root, err := b.output(ctx, "mount", ctr)
	if err != nil {
		return nil, err
	}
	defer func() { _, _ = b.output(context.WithoutCancel(ctx), "umount", ctr) }()
	return walkFiles(root)
}

func walkFiles(root string) (map[string]File, error) {
	files := make(map[string]File)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := File{Mode: info.Mode(), Size: info.Size()}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			f.Inode = st.Ino
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			if f.Target, err = os.Readlink(p); err != nil {
				return err
			}
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files["/"+filepath.ToSlash(rel)] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list image files: %w", err)
	}
	return files, nil
}

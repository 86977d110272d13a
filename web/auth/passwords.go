package auth

import (
	"fmt"
	"log/slog"
	"runtime"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"xphone/configs"
)

// Store checks extension passwords. It is immutable after NewStore and safe
// for concurrent use; build a new one on configuration reload.
type Store struct {
	exts    map[string]account
	dummy   []byte // hash compared against when there is no account, for even timing
	onCheck func() // nil, or called before every comparison
}

type account struct {
	ext  configs.Extension // secrets cleared
	hash []byte            // nil: cannot log in
}

// NewStore prepares password checking for exts. Extensions with xphone: true
// and neither password nor password_hash get a generated password, kept in
// <dataDir>/passwords.yaml (mode 0600; dataDir is created 0700) and reused on
// later starts; each newly generated one is logged once at Info. Plain
// passwords are bcrypt-hashed in memory. Duplicate numbers keep the first.
func NewStore(exts []configs.Extension, dataDir string, log *slog.Logger, opts ...Option) (*Store, error) {
	o := options{cost: bcrypt.DefaultCost}
	for _, opt := range opts {
		opt(&o)
	}
	generated, err := generatedPasswords(exts, dataDir, log)
	if err != nil {
		return nil, err
	}
	s := &Store{exts: make(map[string]account, len(exts)), onCheck: o.onCheck}
	maxCost := o.cost
	var jobs []hashJob
	for _, e := range exts {
		if _, dup := s.exts[e.Number]; dup {
			continue
		}
		acc := account{ext: stripSecrets(e)}
		// Extensions without Xphone access are checked too when they have a
		// password (their desk phone's), to tell their users why they may
		// not log in; none is generated for them.
		if e.Xphone || e.HasSecret() {
			job, cost, err := secretOf(e, generated)
			if err != nil {
				return nil, err
			}
			maxCost = max(maxCost, cost)
			jobs = append(jobs, job)
		}
		s.exts[e.Number] = acc
	}
	if err := s.hashAll(jobs, o.cost); err != nil {
		return nil, err
	}
	if s.dummy, err = bcrypt.GenerateFromPassword([]byte("xphone-dummy-password"), maxCost); err != nil {
		return nil, fmt.Errorf("auth: dummy hash: %w", err)
	}
	return s, nil
}

// hashJob is a secret still to turn into a bcrypt hash: either an existing
// hash (ready) or a plain password.
type hashJob struct {
	ext   string
	plain string
	ready []byte
}

// secretOf returns the hash job for an Xphone extension and the cost of its
// configured hash (0 if none).
func secretOf(e configs.Extension, generated map[string]string) (hashJob, int, error) {
	switch {
	case e.PasswordHash != "":
		cost, err := checkHash(e.PasswordHash)
		if err != nil {
			return hashJob{}, 0, fmt.Errorf("auth: extension %s: %w", e.Number, err)
		}
		return hashJob{ext: e.Number, ready: []byte(e.PasswordHash)}, cost, nil
	case e.Password != "":
		return hashJob{ext: e.Number, plain: e.Password}, 0, nil
	default:
		return hashJob{ext: e.Number, plain: generated[e.Number]}, 0, nil
	}
}

// hashAll hashes the plain passwords in parallel and stores every hash.
func (s *Store) hashAll(jobs []hashJob, cost int) error {
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range jobs {
		if jobs[i].ready != nil {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			jobs[i].ready, errs[i] = hashPassword(jobs[i].plain, cost)
		})
	}
	wg.Wait()
	for i, j := range jobs {
		if errs[i] != nil {
			return fmt.Errorf("auth: extension %s: %w", j.ext, errs[i])
		}
		acc := s.exts[j.ext]
		acc.hash = j.ready
		s.exts[j.ext] = acc
	}
	return nil
}

func stripSecrets(e configs.Extension) configs.Extension {
	e.Password, e.PasswordHash = "", ""
	return e
}

// Check returns the extension if it exists, may use Xphone and password
// matches. A wrong password and an unknown extension give the same
// ErrBadCredentials, after a bcrypt comparison of similar cost; the right
// password of an extension without Xphone access gives ErrNoAccess. The
// returned Extension has its Password and PasswordHash cleared.
func (s *Store) Check(ext, password string) (configs.Extension, error) {
	acc, ok := s.exts[ext]
	hash := acc.hash
	if !ok || hash == nil {
		hash = s.dummy
	}
	if s.onCheck != nil {
		s.onCheck()
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	if !ok || acc.hash == nil || err != nil || len(password) > maxPasswordBytes {
		return configs.Extension{}, ErrBadCredentials
	}
	if !acc.ext.Xphone {
		return configs.Extension{}, ErrNoAccess
	}
	return acc.ext, nil
}

// Lookup returns the extension with that number, whether or not it may use
// Xphone, and whether it exists. Password and PasswordHash are cleared.
func (s *Store) Lookup(ext string) (configs.Extension, bool) {
	acc, ok := s.exts[ext]
	return acc.ext, ok
}

package auth

import (
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// maxPasswordBytes is bcrypt's input limit.
const maxPasswordBytes = 72

// Option tunes a Store.
type Option func(*options)

type options struct {
	cost    int
	onCheck func()
}

// WithCost sets the bcrypt cost used to hash plain and generated passwords
// (default bcrypt.DefaultCost). Tests lower it to bcrypt.MinCost for speed.
func WithCost(cost int) Option {
	return func(o *options) { o.cost = cost }
}

// WithCheckHook calls f before every bcrypt comparison Check makes, e.g.
// to count password checks (tests of the login throttle do).
func WithCheckHook(f func()) Option {
	return func(o *options) { o.onCheck = f }
}

// HashPassword returns a bcrypt hash of pw at bcrypt.DefaultCost, for the
// password_hash key (the `xphone hash-password` subcommand).
func HashPassword(pw string) (string, error) {
	h, err := hashPassword(pw, bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

func hashPassword(pw string, cost int) ([]byte, error) {
	if pw == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadPassword)
	}
	if len(pw) > maxPasswordBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrBadPassword, maxPasswordBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return nil, fmt.Errorf("auth: hash password: %w", err)
	}
	return h, nil
}

// checkHash verifies that h is a bcrypt hash and returns its cost.
func checkHash(h string) (int, error) {
	cost, err := bcrypt.Cost([]byte(h))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadHash, err)
	}
	return cost, nil
}

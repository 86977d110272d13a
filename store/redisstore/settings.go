package redisstore

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Setting returns ext's value for key; store.ErrNotFound when unset.
func (s *Store) Setting(ctx context.Context, ext, key string) (string, error) {
	v, err := s.rdb.HGet(ctx, s.k.settings(ext), key).Result()
	if err != nil {
		return "", wrap("get setting "+key, err)
	}
	return v, nil
}

// PutSetting sets ext's value for key, and in the key's index.
func (s *Store) PutSetting(ctx context.Context, ext, key, value string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.settings(ext), key, value)
		p.HSet(ctx, s.k.setting(key), ext, value)
		return nil
	})
	return wrap("put setting "+key, err)
}

// DeleteSetting unsets ext's key; absent is no error.
func (s *Store) DeleteSetting(ctx context.Context, ext, key string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HDel(ctx, s.k.settings(ext), key)
		p.HDel(ctx, s.k.setting(key), ext)
		return nil
	})
	return wrap("delete setting "+key, err)
}

// SettingEverywhere maps every extension that has key set to its value.
func (s *Store) SettingEverywhere(ctx context.Context, key string) (map[string]string, error) {
	m, err := s.rdb.HGetAll(ctx, s.k.setting(key)).Result()
	if err != nil {
		return nil, wrap("list setting "+key, err)
	}
	return m, nil
}

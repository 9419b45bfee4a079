// Loads something for a page and keeps loading / error / value together; reload() asks again.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorText } from '../api';

export interface Loaded<T> {
  value: T | null;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
}

export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setValue(await load());
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
    // The loader is fixed for the page's life, so reload never changes.
  }, []);
  useEffect(() => void reload(), [reload]);
  return { value, error, loading, reload };
}

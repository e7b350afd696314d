/** Who the API key belongs to ({name, role, datasets}: null datasets = every dataset), filled in at sign-in from GET /api/v1/me. */
export const me = { name: null, role: null, datasets: null };
export const canCurate = () => me.role === 'curator' || me.role === 'admin';

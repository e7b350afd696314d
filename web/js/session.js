/** Who the API key belongs to ({name, role}), filled in at sign-in from GET /api/v1/me. */
export const me = { name: null, role: null };
export const canCurate = () => me.role === 'curator' || me.role === 'admin';

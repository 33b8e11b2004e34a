"""A cook's meal plan: recipes on days and meals, with servings per entry."""
